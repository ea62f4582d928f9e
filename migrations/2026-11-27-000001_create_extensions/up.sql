-- Accent- and case-insensitive fuzzy name search (trigrams over unaccented text). Both
-- extensions are "trusted" since PostgreSQL 13, so the database owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
