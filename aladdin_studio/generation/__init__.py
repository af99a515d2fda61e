"""AI video generation: requests, the model registry, providers (FAL and local)."""
