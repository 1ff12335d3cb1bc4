-- Run once by the postgres image on a fresh store volume (docker-entrypoint-initdb.d).
-- The API serves requests as journeys_api, a login role that is a member of no other
-- role, so row-level security cannot be escaped (JOURNEYS_API_DATABASE_URL). The
-- migrations find the role here and keep its password (0003 creates it only if
-- missing; 0040_api_login grants LOGIN and nothing more).
CREATE ROLE journeys_api LOGIN PASSWORD 'journeys_api';
