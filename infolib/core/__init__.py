"""The estimator and everything it needs; imports nothing outside core/."""
