DROP TABLE jobs;
DROP TABLE login_throttle;
DROP TABLE sessions;
