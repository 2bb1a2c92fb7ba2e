DROP TABLE member_certificates;
