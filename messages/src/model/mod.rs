//! The typed model of the 3.2 messages: one type per complex type of the schemas, shared by
//! both laws and by heen and retour messages.

pub mod allocation;
pub mod answer;
pub mod basis;
pub mod care;
pub mod change;
pub mod declaration;
pub mod header;
pub mod request;
