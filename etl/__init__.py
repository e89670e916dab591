"""Partner files in: declarative mappings, readers, validation, geocoding and bulk loading into PostGIS."""
