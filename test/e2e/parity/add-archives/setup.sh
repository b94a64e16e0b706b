mkdir -p t/pkg/bin && echo tool > t/pkg/bin/tool && chmod 755 t/pkg/bin/tool && echo readme > t/pkg/README
chown -R 1000:1000 t/pkg
tar -C t -cf plain.tar pkg
tar -C t -czf comp.tar.gz pkg
tar -C t -cJf comp.tar.xz pkg
rm -rf t
echo notatar > fake.tar.gz
