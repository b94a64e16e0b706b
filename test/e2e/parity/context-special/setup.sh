mkdir -p tree/empty tree/sub
echo data > tree/file
chmod 600 tree/file
echo exe > tree/sub/setuid && chmod 4755 tree/sub/setuid
chmod 1777 tree/sub
ln tree/file tree/hardlink
ln -s file tree/rel-link
ln -s /etc/passwd tree/abs-link
ln -s missing tree/dangling
chown 1234:2345 tree/sub/setuid
