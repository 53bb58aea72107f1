//! The built-in demo: a deterministic simulation of a service like the team's (API Gateway +
//! Lambda + Aurora + DynamoDB), with named scenarios.
