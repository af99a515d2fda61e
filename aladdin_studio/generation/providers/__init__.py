"""Generation providers: ``fal`` (fal-client against FAL's queue) and ``local`` (animatics)."""
