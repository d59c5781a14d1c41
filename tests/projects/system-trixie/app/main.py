from osgeo import gdal

print(gdal.__version__)
