"""Evaluating a loss on data: requests (a loss, its parameters and convention), reductions,
the mergeable states that stream and reduce across files, and curves of a loss."""
