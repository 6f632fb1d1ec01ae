"""Advice on which loss to use: the data's profile, the recommendation rules, the influence
of single examples, and the trial that fits a model with each candidate loss."""
