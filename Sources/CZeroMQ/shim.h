#include <zmq.h>

// The mailbox in the ZeroMQ module wakes zmq_poll through an eventfd; Glibc's Swift
// module map does not export this header, so it is exposed alongside libzmq.
#ifdef __linux__
#include <sys/eventfd.h>
#endif
