mkdir -p t/x && echo x > t/x/f && mkdir -p dir && tar -C t -cf dir/inner.tar x && tar -C t -czf top.tgz x && rm -rf t
ln -s top.tgz link.tgz
printf 'PK\003\004fake zip' > arch.zip
