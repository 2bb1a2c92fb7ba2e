DROP TABLE cti_events;
DROP TABLE cti_agents;
DROP TABLE cti_settings;
