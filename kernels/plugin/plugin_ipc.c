/* One message (and maybe one descriptor) over a SOCK_SEQPACKET socket, for
 * the isolated plugin's processes (plugin_proto.h). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kernels/plugin/plugin_proto.h"

int qcts_ph_send(int sock, const void *msg, size_t len, int fd)
{
    struct iovec iov = { (void *)msg, len };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    for (;;) {
        /* MSG_NOSIGNAL: a dead peer is EPIPE here, not SIGPIPE for qcts. */
        ssize_t w = sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (w == (ssize_t)len)
            return 0;
        if (w >= 0)
            return -EMSGSIZE;
        if (errno != EINTR)
            return -errno;
    }
}

long qcts_ph_recv(int sock, void *msg, size_t len, int *fd)
{
    if (fd)
        *fd = -1;
    struct iovec iov = { msg, len };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = u.buf;
    mh.msg_controllen = sizeof u.buf;
    ssize_t r;
    do
        r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof got);
            if (fd && *fd < 0)
                *fd = got;
            else
                close(got);
        }
    if (r > 0 && (mh.msg_flags & MSG_TRUNC))
        return -EMSGSIZE;
    return (long)r;
}
