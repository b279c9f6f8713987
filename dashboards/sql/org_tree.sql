-- Streets and their communities: one role per street secretary and per community secretary.
SELECT s.street_id, s.street_name, c.community_id, c.community_name
FROM marts.dim_street AS s
LEFT JOIN marts.dim_community AS c ON c.street_id = s.street_id
ORDER BY s.street_id, c.community_id
