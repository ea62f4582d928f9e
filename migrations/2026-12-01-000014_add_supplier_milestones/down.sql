ALTER TABLE suppliers
    DROP COLUMN first_submitted_at,
    DROP COLUMN first_verified_at,
    DROP COLUMN first_certified_at;
