-- Nearest-first geo search: each located supplier as a point on a sphere of the haversine's
-- radius (6371.0088 km), in metres, indexed with GiST. The straight-line (chord) distance between
-- two such points grows with the great-circle distance, so the index's nearest-first scan
-- (`ORDER BY earth <-> point`) returns suppliers in distance order and stops after a page, and
-- `earth <@ cube_enlarge(point, chord, 3)` bounds the scan to the radius. cube is a trusted
-- extension. The function names its schema, so it is safe to index.
CREATE EXTENSION IF NOT EXISTS cube;

CREATE FUNCTION sr_earth(lat double precision, lon double precision) RETURNS public.cube
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN public.cube(public.cube(public.cube(
        6371008.8 * cos(radians(lat)) * cos(radians(lon))),
        6371008.8 * cos(radians(lat)) * sin(radians(lon))),
        6371008.8 * sin(radians(lat)));

CREATE INDEX suppliers_earth_idx ON suppliers USING gist (sr_earth(lat, lon));
-- suppliers_lat_lon_idx is no longer used by this release; it goes in a later (contract)
-- migration, once no running release reads it.
