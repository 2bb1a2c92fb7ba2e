-- pg_trgm stays: an extension is the database's, and other indexes may use it.
DROP INDEX permission_log_people_trigrams;
