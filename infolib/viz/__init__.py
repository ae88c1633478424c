"""Figures: one layers x words map, the paper's figures, export helpers."""
