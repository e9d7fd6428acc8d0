"""Application services (use cases). They depend on ports, never on adapter classes."""
