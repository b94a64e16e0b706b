#!/bin/sh
# Built into the image by examples/hello/Dockerfile (@NAME@ is replaced at build time).
echo "Hello from @NAME@, running as $(id -un) on $(uname -m)"
