// A small HTTP/1.1 server for the bridge's API: one thread, GET requests, keep-alive.
