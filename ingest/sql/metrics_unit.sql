-- A street or community of the district (dbt's dims), with the street it lies in: the scope
-- check of GET /v1/metrics lets a street token read the communities of its street.
SELECT 'street' AS level, street_id, street_name AS name
FROM marts.dim_street
WHERE street_id = %(unit)s
UNION ALL
SELECT 'community' AS level, street_id, community_name AS name
FROM marts.dim_community
WHERE community_id = %(unit)s
