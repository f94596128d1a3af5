/* version.h — the version qcts reports with --version. */
#ifndef QCTS_CLI_VERSION_H
#define QCTS_CLI_VERSION_H

#define QCTS_VERSION "0.1.0"

/* The qcts.format_version this program writes into vector files (and the
 * highest it reads). Move to the vectors/ header once that module exists. */
#define QCTS_VECTORS_FORMAT_VERSION 1

#endif
