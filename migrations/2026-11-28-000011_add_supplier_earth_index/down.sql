DROP INDEX suppliers_earth_idx;
DROP FUNCTION sr_earth(double precision, double precision);
-- The cube extension stays: other objects may use it.
