/* Hexadecimal digits, for the parsers of MACs, machine and boot IDs. */
#ifndef DEFNET_HEX_H
#define DEFNET_HEX_H

/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);

#endif
