mkdir -p t/pkg/sub && echo x > t/pkg/sub/x && chown -R 1000:1000 t/pkg && chmod 700 t/pkg/sub
tar -C t -czf owned.tar.gz pkg && rm -rf t
