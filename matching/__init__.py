"""Identity resolution: deterministic NIK links and Splink for the rest."""
