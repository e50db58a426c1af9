/* own.h: files roaming creates belong to the owner of their directory. */
#ifndef OWN_H
#define OWN_H

/* When running as root, gives fd to the owner and group of the directory
   that holds path, so a store kept by an unprivileged user (vpopmail, a
   Dovecot post-login user) stays writable by that user after root has run
   clearopensmtp or roamingctl. Does nothing otherwise. Returns 0 or -1. */
int own_like_dir(int fd, const char *path);

#endif
