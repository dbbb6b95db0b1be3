//! Pure call logic for the telephony (CC-2): the interactive voice menu as
//! data, walked one input at a time. The call driver plays what it is told,
//! collects digits with the timeouts it is given, and passes them in; time
//! of day comes in as an argument. `session` is one call's state machine
//! around the menu: play, barge-in, timers, routing, hang-up.

pub mod ivr;
pub mod prompts;
pub mod queued;
pub mod session;
