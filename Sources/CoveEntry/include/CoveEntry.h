/* CoveEntry has no interface to call: the linker makes cove_entry the executable's entry point (see
   Package.swift and entry.c). */
