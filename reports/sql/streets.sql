-- The district's streets (whose packs the archive builds).
SELECT street_id, street_name FROM marts.dim_street ORDER BY street_id
