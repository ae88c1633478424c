"""Training loops and the model checkpoint store; never imports infolib.models."""
