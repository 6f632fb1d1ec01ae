"""Results to text: Rich renderables for people, plain/CSV/TSV/JSON/JSONL strings for scripts."""
