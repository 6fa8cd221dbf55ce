// Client status: broker event parsing, channel assignment and the online-status tracker. Pure: no I/O.
