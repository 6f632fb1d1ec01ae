"""Exercises: the model of an exercise file (model.py), the safe expressions its answers are
written in, and the grading of a learner's answers."""
