tests/t1.c
