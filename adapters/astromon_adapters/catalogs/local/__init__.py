"""The local catalog service: catalog files, their HEALPix index, cone searches."""
