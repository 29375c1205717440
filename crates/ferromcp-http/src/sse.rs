//! Server-Sent Events: the event format both sides share.
//!
//! The server writes events with [`encode_event`]; the client reads them with
//! [`SseParser`], which follows the WHATWG event-stream rules (fields `data`, `id`, `event`,
//! `retry`; comments; LF, CR or CRLF line ends; an event ends at a blank line).
