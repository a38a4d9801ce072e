/**
 * The one place that turns a volume into vtk.js data. Views render in "index·spacing" space (origin 0,
 * identity direction) so that slicing follows voxel axes exactly; LPS positions come from src-shared geometry.
 */
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import type { VolumeHeader, VoxelArray } from '../../../src-shared';

export function toVtkImage(header: Pick<VolumeHeader, 'dims' | 'spacing'>, voxels: VoxelArray | Uint8Array): vtkImageData {
  const img = vtkImageData.newInstance();
  img.setDimensions([header.dims[0], header.dims[1], header.dims[2]]);
  img.setSpacing([header.spacing[0], header.spacing[1], header.spacing[2]]);
  img.setOrigin([0, 0, 0]);
  img.getPointData().setScalars(vtkDataArray.newInstance({ name: 'scalars', numberOfComponents: 1, values: voxels }));
  return img;
}
