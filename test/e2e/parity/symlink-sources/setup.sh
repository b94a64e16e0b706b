mkdir -p real etc && echo inside > etc/passwd && echo r > real/f
ln -s /etc/passwd abs-link
ln -s real dirlink
ln -s ../../outside escape-link
