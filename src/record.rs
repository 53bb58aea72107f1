//! `--record FILE`: every update that reaches the model and every operator action, as
//! compressed JSON lines.
