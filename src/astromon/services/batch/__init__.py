"""The batch pipeline: obsid lists and many observations processed and saved."""
