// vtk.js ships no typings for this filter; declare the part we use.
declare module '@kitware/vtk.js/Filters/General/ImageMarchingCubes' {
  import type vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
  interface vtkImageMarchingCubes {
    setInputData(d: vtkImageData): void;
    getOutputPort(): unknown;
  }
  const mc: { newInstance(init?: { contourValue?: number; computeNormals?: boolean; mergePoints?: boolean }): vtkImageMarchingCubes };
  export default mc;
}
