ALTER TABLE suppliers
    DROP CONSTRAINT suppliers_certification_arrays_check,
    DROP COLUMN certification_expiries,
    DROP COLUMN certification_schemes,
    DROP COLUMN capability_list;
