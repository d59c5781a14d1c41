# gisbox stack image: GDAL 3.13.3 from Debian's source archive (sha256
# 8323ef0d4e3f721d4b66ef9ec5b4ec812e2c17894a5a5389fba18a8193f1e060),
# compiled with the drivers gisbox.toml declares
# on the base's PROJ and GEOS. Made by `gisbox build` when missing; `gisbox stack ls`.
ARG GISBOX_BASE=debian:trixie-slim
FROM ${GISBOX_BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN --mount=type=cache,id=gisbox-apt-cache,target=/var/cache/apt,sharing=shared \
    --mount=type=cache,id=gisbox-apt-lists,target=/var/lib/apt/lists,sharing=locked \
    echo '// emptied by gisbox: apt keeps its downloads in the build cache' \
       > /etc/apt/apt.conf.d/docker-clean \
    && apt-get update --no-list-cleanup \
    && apt-get install -y --no-install-recommends \
       libexpat1=2.9.0-1~deb13u1 \
       libpython3.13-minimal=3.13.5-2+deb13u5 \
       python3.13-minimal=3.13.5-2+deb13u5 \
       libzstd1=1.5.7+dfsg-1+deb13u1 \
       netbase=6.5 \
       libncursesw6=6.5+20250216-2 \
       libproc2-0=2:4.0.4-9 \
       procps=2:4.0.4-9 \
       readline-common=8.2-6 \
       bzip2=1.0.8-6 \
       media-types=13.0.0 \
       perl-modules-5.40=5.40.1-6+deb13u1 \
       libgdbm6t64=1.24-2 \
       libgdbm-compat4t64=1.24-2 \
       libperl5.40=5.40.1-6+deb13u1 \
       perl=5.40.1-6+deb13u1 \
       xz-utils=5.8.1-1+deb13u2 \
       libsframe1=2.44-3 \
       binutils-common=2.44-3 \
       libbinutils=2.44-3 \
       libgprofng0=2.44-3 \
       libctf-nobfd0=2.44-3 \
       libctf0=2.44-3 \
       libjansson4=2.14-2+b3 \
       binutils-x86-64-linux-gnu=2.44-3 \
       binutils=2.44-3 \
       libc-dev-bin=2.41-12+deb13u5 \
       linux-libc-dev=6.12.118-1 \
       libcrypt-dev=1:4.4.38-1 \
       rpcsvc-proto=1.4.3-1 \
       libc6-dev=2.41-12+deb13u5 \
       libisl23=0.27-1 \
       libmpfr6=4.2.2-1 \
       libmpc3=1.3.1-1+b3 \
       cpp-14-x86-64-linux-gnu=14.2.0-19 \
       cpp-14=14.2.0-19 \
       cpp-x86-64-linux-gnu=4:14.2.0-1 \
       cpp=4:14.2.0-1 \
       libcc1-0=14.2.0-19 \
       libgomp1=14.2.0-19 \
       libitm1=14.2.0-19 \
       libatomic1=14.2.0-19 \
       libasan8=14.2.0-19 \
       liblsan0=14.2.0-19 \
       libtsan2=14.2.0-19 \
       libubsan1=14.2.0-19 \
       libhwasan0=14.2.0-19 \
       libquadmath0=14.2.0-19 \
       libgcc-14-dev=14.2.0-19 \
       gcc-14-x86-64-linux-gnu=14.2.0-19 \
       gcc-14=14.2.0-19 \
       gcc-x86-64-linux-gnu=4:14.2.0-1 \
       gcc=4:14.2.0-1 \
       libstdc++-14-dev=14.2.0-19 \
       g++-14-x86-64-linux-gnu=14.2.0-19 \
       g++-14=14.2.0-19 \
       g++-x86-64-linux-gnu=4:14.2.0-1 \
       g++=4:14.2.0-1 \
       make=4.4.1-2 \
       libdpkg-perl=1.22.22 \
       patch=2.8-2+deb13u1 \
       dpkg-dev=1.22.22 \
       build-essential=12.12 \
       cmake-data=3.31.6-2 \
       libxml2=2.12.7+dfsg+really2.9.14-2.1+deb13u3 \
       libarchive13t64=3.7.4-4+deb13u1 \
       libbrotli1=1.1.0-2+deb13u1 \
       libkrb5support0=1.21.3-5+deb13u2 \
       libcom-err2=1.47.2-3+b12 \
       libk5crypto3=1.21.3-5+deb13u2 \
       libkeyutils1=1.6.3-6 \
       libkrb5-3=1.21.3-5+deb13u2 \
       libgssapi-krb5-2=1.21.3-5+deb13u2 \
       libunistring5=1.3-2 \
       libidn2-0=2.3.8-2 \
       libsasl2-modules-db=2.1.28+dfsg1-9 \
       libsasl2-2=2.1.28+dfsg1-9 \
       libldap2=2.6.10+dfsg-1 \
       libnghttp2-14=1.64.0-1.1+deb13u2 \
       libnghttp3-9=1.8.0-1 \
       libpsl5t64=0.21.2-1.1+b1 \
       libffi8=3.4.8-2 \
       libp11-kit0=0.25.5-3 \
       libtasn1-6=4.20.0-2+deb13u1 \
       libgnutls30t64=3.8.9-3+deb13u4 \
       librtmp1=2.4+20151223.gitfa8646d.1-2+b5 \
       libssh2-1t64=1.11.1-1+deb13u2 \
       libcurl4t64=8.14.1-2+deb13u7 \
       libjsoncpp26=1.9.6-3 \
       librhash1=1.4.5-1 \
       libuv1t64=1.50.0-2 \
       cmake=3.31.6-2 \
       comerr-dev=2.1-1.47.2-3+b12 \
       libgssrpc4t64=1.21.3-5+deb13u2 \
       libkadm5clnt-mit12=1.21.3-5+deb13u2 \
       libkdb5-10t64=1.21.3-5+deb13u2 \
       libkadm5srv-mit12=1.21.3-5+deb13u2 \
       krb5-multidev=1.21.3-5+deb13u2 \
       libbrotli-dev=1.1.0-2+deb13u1 \
       libngtcp2-16=1.11.0-1+deb13u1 \
       libngtcp2-crypto-gnutls8=1.11.0-1+deb13u1 \
       libcurl3t64-gnutls=8.14.1-2+deb13u7 \
       libevent-2.1-7t64=2.1.13-stable-1~deb13u1 \
       libunbound8=1.26.2-0+deb13u1 \
       libgnutls-dane0t64=3.8.9-3+deb13u4 \
       libgnutls-openssl27t64=3.8.9-3+deb13u4 \
       libidn2-dev=2.3.8-2 \
       libp11-kit-dev=0.25.5-3 \
       libtasn1-6-dev=4.20.0-2+deb13u1 \
       libgmpxx4ldbl=2:6.3.0+dfsg-3 \
       libgmp-dev=2:6.3.0+dfsg-3 \
       nettle-dev=3.10.1-1 \
       libgnutls28-dev=3.8.9-3+deb13u4 \
       libkrb5-dev=1.21.3-5+deb13u2 \
       libldap-dev=2.6.10+dfsg-1 \
       libpkgconf3=1.8.1-4 \
       pkgconf-bin=1.8.1-4 \
       pkgconf=1.8.1-4 \
       libnghttp2-dev=1.64.0-1.1+deb13u2 \
       libnghttp3-dev=1.8.0-1 \
       libngtcp2-crypto-gnutls-dev=1.11.0-1+deb13u1 \
       libngtcp2-dev=1.11.0-1+deb13u1 \
       libpsl-dev=0.21.2-1.1+b1 \
       zlib1g-dev=1:1.3.dfsg+really1.3.1-1+deb13u1 \
       librtmp-dev=2.4+20151223.gitfa8646d.1-2+b5 \
       libssl-dev=3.5.9-1~deb13u1 \
       libssh2-1-dev=1.11.1-1+deb13u2 \
       libzstd-dev=1.5.7+dfsg-1+deb13u1 \
       libcurl4-gnutls-dev=8.14.1-2+deb13u7 \
       libdeflate0=1.23-2 \
       libdeflate-dev=1.23-2 \
       libexpat1-dev=2.9.0-1~deb13u1 \
       libgeos3.13.1=3.13.1-1 \
       libgeos-c1t64=3.13.1-1 \
       libgeos-dev=3.13.1-1 \
       proj-data=9.6.0-1 \
       libjbig0=2.1-6.1+b2 \
       libjpeg62-turbo=1:2.1.5-4 \
       liblerc4=4.0.0+ds-5 \
       libsharpyuv0=1.5.0-0.1 \
       libwebp7=1.5.0-0.1 \
       libtiff6=4.7.0-3+deb13u3 \
       libproj25=9.6.0-1 \
       libgeotiff5=1.7.4-1 \
       libjpeg62-turbo-dev=1:2.1.5-4 \
       libjpeg-dev=1:2.1.5-4 \
       libsqlite3-dev=3.46.1-7+deb13u2 \
       libjbig-dev=2.1-6.1+b2 \
       liblzma-dev=5.8.1-1+deb13u2 \
       libwebpdemux2=1.5.0-0.1 \
       libwebpmux3=1.5.0-0.1 \
       libwebpdecoder3=1.5.0-0.1 \
       libsharpyuv-dev=1.5.0-0.1 \
       libwebp-dev=1.5.0-0.1 \
       libtiffxx6=4.7.0-3+deb13u3 \
       liblerc-dev=4.0.0+ds-5 \
       libtiff-dev=4.7.0-3+deb13u3 \
       libproj-dev=9.6.0-1 \
       libgeotiff-dev=1.7.4-1 \
       libpng16-16t64=1.6.48-1+deb13u6 \
       libpng-dev=1.6.48-1+deb13u6 \
       libreadline8t64=8.2-6 \
       libpython3.13-stdlib=3.13.5-2+deb13u5 \
       libpython3.13=3.13.5-2+deb13u5 \
       libpython3.13-dev=3.13.5-2+deb13u5 \
       pkg-config=1.8.1-4 \
       python3.13=3.13.5-2+deb13u5 \
       python3.13-dev=3.13.5-2+deb13u5
COPY fetch_upstream.py /tmp/gisbox/build/fetch_upstream.py
# GDAL 3.13.3: fetched and checked against the lock's sha256 again, configured
# with only the declared drivers, installed into /opt/gdal (RPATH to its lib, no
# debug information). Debian's +dfsg tarball lacks two data files GDAL's CMake lists.
RUN python3.13 /tmp/gisbox/build/fetch_upstream.py \
       http://deb.debian.org/debian/pool/main/g/gdal/gdal_3.13.3+dfsg.orig.tar.xz \
       8323ef0d4e3f721d4b66ef9ec5b4ec812e2c17894a5a5389fba18a8193f1e060 /tmp/gdal.tar.xz \
    && mkdir /tmp/gdal-src && tar -xJf /tmp/gdal.tar.xz -C /tmp/gdal-src --strip-components=1 \
    && sed -i -e '/cubewerx_extra\.wkt/d' -e '/ecw_cs\.wkt/d' /tmp/gdal-src/ogr/CMakeLists.txt \
    && cmake -S /tmp/gdal-src -B /tmp/gdal-build -DCMAKE_BUILD_TYPE=Release \
       -DCMAKE_INSTALL_PREFIX=/opt/gdal -DCMAKE_INSTALL_RPATH=/opt/gdal/lib \
       -DCMAKE_C_FLAGS=-g0 -DCMAKE_CXX_FLAGS=-g0 -DBUILD_TESTING=OFF \
       -DBUILD_PYTHON_BINDINGS=OFF -DBUILD_JAVA_BINDINGS=OFF -DBUILD_CSHARP_BINDINGS=OFF \
       -DBUILD_APPS=ON -DGDAL_USE_EXTERNAL_LIBS=OFF \
       -DGDAL_BUILD_OPTIONAL_DRIVERS=OFF -DOGR_BUILD_OPTIONAL_DRIVERS=OFF -DGDAL_ENABLE_DRIVER_HFA=ON -DGDAL_ENABLE_DRIVER_JPEG=ON -DGDAL_ENABLE_DRIVER_MBTILES=ON -DGDAL_ENABLE_DRIVER_PNG=ON -DGDAL_ENABLE_DRIVER_WEBP=ON -DOGR_ENABLE_DRIVER_CSV=ON -DOGR_ENABLE_DRIVER_DXF=ON -DOGR_ENABLE_DRIVER_FLATGEOBUF=ON -DOGR_ENABLE_DRIVER_GEOJSON=ON -DOGR_ENABLE_DRIVER_GPKG=ON -DOGR_ENABLE_DRIVER_MVT=ON -DOGR_ENABLE_DRIVER_OPENFILEGDB=ON -DOGR_ENABLE_DRIVER_SHAPE=ON -DOGR_ENABLE_DRIVER_SQLITE=ON -DOGR_ENABLE_DRIVER_VRT=ON -DGDAL_USE_CURL=ON -DGDAL_USE_DEFLATE=ON -DGDAL_USE_EXPAT=ON -DGDAL_USE_GEOS=ON -DGDAL_USE_GEOTIFF=ON -DGDAL_USE_ICONV=ON -DGDAL_USE_JPEG=ON -DGDAL_USE_LIBLZMA=ON -DGDAL_USE_PNG=ON -DGDAL_USE_SQLITE3=ON -DGDAL_USE_TIFF=ON -DGDAL_USE_WEBP=ON -DGDAL_USE_ZLIB=ON -DGDAL_USE_ZSTD=ON \
    && cmake --build /tmp/gdal-build -j"$(nproc)" \
    && cmake --install /tmp/gdal-build --strip \
    && rm -rf /tmp/gdal.tar.xz /tmp/gdal-src /tmp/gdal-build
# the key (gisbox.plugins.api.StackRecipe.key) is a build argument: it digests this text
ARG GISBOX_STACK_KEY
LABEL io.gisbox.stack.key="${GISBOX_STACK_KEY}" \
      io.gisbox.stack.gdal="3.13.3" \
      io.gisbox.stack.gdal-sha256="8323ef0d4e3f721d4b66ef9ec5b4ec812e2c17894a5a5389fba18a8193f1e060" \
      io.gisbox.stack.drivers="GTiff,COG,MEM,VRT,HFA,PNG,JPEG,WEBP,MBTiles,ESRI Shapefile,GeoJSON,GeoJSONSeq,ESRIJSON,TopoJSON,FlatGeobuf,CSV,SQLite,GPKG,OpenFileGDB,OGR_VRT,MVT,DXF" \
      io.gisbox.stack.tools="yes" \
      io.gisbox.stack.base="debian:trixie-slim"
