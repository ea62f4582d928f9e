DROP TABLE certification_schemes;
DROP TABLE capability_industry_codes;
DROP TABLE capabilities;
DROP TABLE size_rules;
DROP TABLE subdivisions;
DROP TABLE countries;
