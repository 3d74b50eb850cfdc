"""Training: synthetic data generation and model training for gaiml."""
