//! The EVAL script engine (one Lua state and its cache, as Redis's
//! `lctx`), and what other clients read about it without waiting: whether
//! a script runs and for how long (BUSY, SCRIPT KILL), and the memory
//! figures INFO prints.
//!
//! Lock order: taken after the engine (a script's commands run under the
//! engine lock already held by EVAL).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use scripting::{RunStatus, Scripting};

pub struct Scripts {
    lua: Mutex<Scripting>,
    /// Function libraries live in their own Lua state, as in Redis.
    functions: Mutex<Scripting>,
    status: Arc<RunStatus>,
    lua_memory: AtomicU64,
    scripts_memory: AtomicU64,
    count: AtomicU64,
    functions_memory: AtomicU64,
    function_count: AtomicU64,
    library_count: AtomicU64,
}

impl Default for Scripts {
    fn default() -> Self {
        let lua = Scripting::new().expect("the Lua state starts");
        let status = lua.status().clone();
        let functions = Scripting::for_functions(status.clone()).expect("the Lua state starts");
        let scripts = Scripts {
            lua: Mutex::new(lua),
            functions: Mutex::new(functions),
            status,
            lua_memory: AtomicU64::new(0),
            scripts_memory: AtomicU64::new(0),
            count: AtomicU64::new(0),
            functions_memory: AtomicU64::new(0),
            function_count: AtomicU64::new(0),
            library_count: AtomicU64::new(0),
        };
        scripts.note_memory(&scripts.lua.lock());
        scripts.note_functions(&scripts.functions.lock());
        scripts
    }
}

/// The memory figures INFO memory shows.
#[derive(Debug, Clone, Copy)]
pub struct ScriptsMemory {
    pub lua: u64,
    pub scripts: u64,
    pub count: u64,
    pub functions_lua: u64,
    pub functions: u64,
    pub libraries: u64,
}

impl Scripts {
    /// The Lua state, for EVAL, SCRIPT LOAD/EXISTS/FLUSH.
    pub fn lock(&self) -> MutexGuard<'_, Scripting> {
        self.lua.lock()
    }

    /// Whether a script runs and since when; SCRIPT KILL's switch.
    pub fn status(&self) -> &RunStatus {
        &self.status
    }

    /// Records the state's memory after a change (load, run, flush).
    pub fn note_memory(&self, lua: &Scripting) {
        self.lua_memory
            .store(lua.lua_memory() as u64, Ordering::Relaxed);
        self.scripts_memory
            .store(lua.scripts_memory() as u64, Ordering::Relaxed);
        self.count.store(lua.len() as u64, Ordering::Relaxed);
    }

    /// The function libraries' Lua state (FUNCTION, FCALL).
    pub fn functions(&self) -> MutexGuard<'_, Scripting> {
        self.functions.lock()
    }

    /// Records the function state's figures after a change.
    pub fn note_functions(&self, lua: &Scripting) {
        self.functions_memory
            .store(lua.lua_memory() as u64, Ordering::Relaxed);
        self.function_count
            .store(lua.function_count() as u64, Ordering::Relaxed);
        self.library_count
            .store(lua.libraries().len() as u64, Ordering::Relaxed);
    }

    pub fn memory(&self) -> ScriptsMemory {
        ScriptsMemory {
            lua: self.lua_memory.load(Ordering::Relaxed),
            scripts: self.scripts_memory.load(Ordering::Relaxed),
            count: self.count.load(Ordering::Relaxed),
            functions_lua: self.functions_memory.load(Ordering::Relaxed),
            functions: self.function_count.load(Ordering::Relaxed),
            libraries: self.library_count.load(Ordering::Relaxed),
        }
    }
}
