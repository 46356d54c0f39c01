//! Emulator library.
