"""Adversarial benchmark: hostile replies run through the real `filler fill`."""
